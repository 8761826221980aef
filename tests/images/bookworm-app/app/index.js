'use strict';
// A tiny service: enough for the dependencies to be real, used ones.
const express = require('express');
const _ = require('lodash');
const argv = require('minimist')(process.argv.slice(2));

const app = express();
app.get('/health', (req, res) => res.json({ ok: true, keys: _.keys(req.query) }));
app.listen(argv.port || 8080);
