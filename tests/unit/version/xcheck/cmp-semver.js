// SPDX-License-Identifier: Apache-2.0
// Reads "A<TAB>B" lines, prints node-semver's loose-mode compare(A, B) per line (-1, 0, 1), or E if either
// is not a version. The first line printed is the semver package version.
'use strict'
// Debian's node-semver lives in /usr/share/nodejs, which the caller puts on NODE_PATH.
const semver = require('semver')
const lines = require('fs').readFileSync(0, 'latin1').split('\n')
const out = [require(require.resolve('semver').replace(/index\.js$/, 'package.json')).version]
for (const l of lines) {
  if (l === '') continue
  const [a, b] = l.split('\t')
  try {
    out.push(String(semver.compare(a, b, true)))
  } catch (e) {
    out.push('E')
  }
}
process.stdout.write(out.join('\n') + '\n')
