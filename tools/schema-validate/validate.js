#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Validates report files written by stockade against the official JSON schemas, plus the rules those
// schemas cannot express (unique bom-refs and SPDXIDs, references that resolve, license expressions
// that parse). A test tool, never shipped.
//
//   validate.js [--modules DIR] KIND FILE...
//
// KIND: cyclonedx-1.5 | sarif-2.1.0 | spdx-2.3
// DIR:  node_modules of an `npm ci` of this directory's package-lock.json (default:
//       $STOCKADE_TEST_CACHE/npm/schema-validate/node_modules, see install.sh).
//
// The schemas come from npm packages pinned in package.json:
//   CycloneDX 1.5: @cyclonedx/cyclonedx-library res/schema/bom-1.5.SNAPSHOT.schema.json (+ spdx, jsf)
//   SARIF 2.1.0:   @microsoft/jest-sarif lib/schemas/sarif-2.1.0-rtm.5.json
//   SPDX 2.3:      no npm package ships the official spdx-schema.json (2.3); set SPDX_SCHEMA=PATH to a
//                  copy of it to validate against it. Without it, only the structural checks below run.
//
// Exit status: 0 all files valid, 1 some file invalid, 2 usage or setup error.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function usage(msg) {
        if (msg)
                console.error(`validate.js: ${msg}`);
        console.error('usage: validate.js [--modules DIR] cyclonedx-1.5|sarif-2.1.0|spdx-2.3 FILE...');
        process.exit(2);
}

let args = process.argv.slice(2);
let modules = path.join(process.env.STOCKADE_TEST_CACHE || '/var/cache/stockade-test', 'npm',
                        'schema-validate', 'node_modules');
if (args[0] === '--modules') {
        if (args.length < 2)
                usage('--modules needs a directory');
        modules = args[1];
        args = args.slice(2);
}
if (args.length < 2)
        usage();
const kind = args[0];
const files = args.slice(1);

if (!fs.existsSync(modules))
        usage(`no node_modules at '${modules}' (run tools/schema-validate/install.sh)`);
const req = createRequire(path.join(path.resolve(modules), '..', 'package.json'));
const pkgFile = (name, rel) => path.join(path.dirname(req.resolve(`${name}/package.json`)), rel);
const readJSON = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));

// ---- license expressions (SPDX Annex D) -------------------------------------------------------------

const parseSpdx = req('spdx-expression-parse');

// Returns an error string, or null when expr is a valid SPDX expression. LicenseRef-s must be in refs
// when refs is given.
function checkExpression(expr, refs) {
        let tree;
        try {
                tree = parseSpdx(expr);
        } catch (e) {
                return `'${expr}' is not a valid SPDX license expression (${e.message})`;
        }
        const walk = (n) => {
                if (n.license !== undefined) {
                        if (n.license.startsWith('LicenseRef-') && refs && !refs.has(n.license))
                                return `'${n.license}' is not defined in hasExtractedLicensingInfos`;
                        return null;
                }
                return walk(n.left) || walk(n.right);
        };
        return walk(tree);
}

// ---- schema validation ---------------------------------------------------------------------------------

function formatAjvErrors(errors) {
        return errors.slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message}` +
                (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params).slice(0, 300)}` : ''));
}

function cyclonedxValidator() {
        const Ajv = req('ajv').default;
        const addFormats = req('ajv-formats').default;
        const base = '@cyclonedx/cyclonedx-library';
        const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
        addFormats(ajv);
        req('ajv-formats-draft2019')(ajv); // iri-reference, idn-email
        // bom-1.5 refers to its companions by their SNAPSHOT file names; register them under those.
        for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
                const s = readJSON(pkgFile(base, `res/schema/${f}`));
                s.$id = `http://cyclonedx.org/schema/${f}`;
                ajv.addSchema(s);
        }
        const v = ajv.compile(readJSON(pkgFile(base, 'res/schema/bom-1.5.SNAPSHOT.schema.json')));
        return (doc) => (v(doc) ? [] : formatAjvErrors(v.errors));
}

function sarifValidator() {
        const Ajv4 = req('ajv-draft-04').default;
        const addFormats = req('ajv-formats').default;
        // The schema's language-tag pattern is not valid with the 'u' flag ajv uses by default.
        const ajv = new Ajv4({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
        addFormats(ajv);
        req('ajv-formats-draft2019')(ajv);
        const v = ajv.compile(readJSON(pkgFile('@microsoft/jest-sarif', 'lib/schemas/sarif-2.1.0-rtm.5.json')));
        return (doc) => (v(doc) ? [] : formatAjvErrors(v.errors));
}

function spdxSchemaValidator() {
        if (!process.env.SPDX_SCHEMA)
                return null;
        const Ajv = req('ajv').default;
        const addFormats = req('ajv-formats').default;
        const ajv = new Ajv({ strict: false, allErrors: true });
        addFormats(ajv);
        const v = ajv.compile(readJSON(process.env.SPDX_SCHEMA));
        return (doc) => (v(doc) ? [] : formatAjvErrors(v.errors));
}

// ---- rules beyond the schemas --------------------------------------------------------------------------

function cyclonedxRules(doc) {
        const errs = [];
        const refs = new Map();
        const visit = (c, where) => {
                if (c['bom-ref'] !== undefined) {
                        if (refs.has(c['bom-ref']))
                                errs.push(`${where}: bom-ref '${c['bom-ref']}' is not unique`);
                        refs.set(c['bom-ref'], where);
                }
                for (const l of c.licenses || []) {
                        if (l.expression !== undefined) {
                                const e = checkExpression(l.expression);
                                if (e)
                                        errs.push(`${where}: ${e}`);
                        }
                }
                (c.components || []).forEach((cc, i) => visit(cc, `${where}.components[${i}]`));
        };
        if (doc.metadata && doc.metadata.component)
                visit(doc.metadata.component, 'metadata.component');
        (doc.components || []).forEach((c, i) => visit(c, `components[${i}]`));
        const seen = new Set();
        (doc.dependencies || []).forEach((d, i) => {
                if (!refs.has(d.ref))
                        errs.push(`dependencies[${i}]: ref '${d.ref}' names no component`);
                if (seen.has(d.ref))
                        errs.push(`dependencies[${i}]: ref '${d.ref}' listed twice`);
                seen.add(d.ref);
                for (const r of d.dependsOn || [])
                        if (!refs.has(r))
                                errs.push(`dependencies[${i}]: dependsOn '${r}' names no component`);
        });
        return errs;
}

function sarifRules(doc) {
        const errs = [];
        (doc.runs || []).forEach((run, ri) => {
                const rules = (run.tool && run.tool.driver && run.tool.driver.rules) || [];
                const ids = new Map(rules.map((r, i) => [r.id, i]));
                if (ids.size !== rules.length)
                        errs.push(`runs[${ri}]: rule ids are not unique`);
                (run.results || []).forEach((r, i) => {
                        const at = `runs[${ri}].results[${i}]`;
                        if (r.ruleId !== undefined && !ids.has(r.ruleId))
                                errs.push(`${at}: ruleId '${r.ruleId}' has no rule in tool.driver.rules`);
                        if (r.ruleIndex !== undefined && ids.get(r.ruleId) !== r.ruleIndex)
                                errs.push(`${at}: ruleIndex ${r.ruleIndex} does not point at rule '${r.ruleId}'`);
                });
        });
        return errs;
}

// Structural SPDX 2.3 checks, from the specification's clauses (not the official schema).
function spdxRules(doc) {
        const errs = [];
        const isStr = (v) => typeof v === 'string';
        const idRe = /^SPDXRef-[A-Za-z0-9.-]+$/;
        const need = (obj, where, keys) => {
                for (const k of keys)
                        if (obj[k] === undefined)
                                errs.push(`${where}: missing required '${k}'`);
        };
        const only = (obj, where, keys) => {
                for (const k of Object.keys(obj))
                        if (!keys.includes(k))
                                errs.push(`${where}: unexpected property '${k}'`);
        };
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
                return ['document is not an object'];
        need(doc, 'document', ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo']);
        only(doc, 'document', ['SPDXID', 'annotations', 'comment', 'creationInfo', 'dataLicense',
                               'externalDocumentRefs', 'hasExtractedLicensingInfos', 'name', 'revieweds',
                               'spdxVersion', 'documentNamespace', 'documentDescribes', 'packages', 'files',
                               'snippets', 'relationships']);
        if (doc.spdxVersion !== 'SPDX-2.3')
                errs.push(`spdxVersion is '${doc.spdxVersion}', not 'SPDX-2.3'`);
        if (doc.dataLicense !== 'CC0-1.0')
                errs.push(`dataLicense is '${doc.dataLicense}', not 'CC0-1.0'`);
        if (doc.SPDXID !== 'SPDXRef-DOCUMENT')
                errs.push(`document SPDXID is '${doc.SPDXID}', not 'SPDXRef-DOCUMENT'`);
        if (!isStr(doc.name) || !doc.name)
                errs.push('document name is empty');
        if (!isStr(doc.documentNamespace) || !/^[a-z][a-z0-9+.-]*:[^#\s]+$/i.test(doc.documentNamespace))
                errs.push(`documentNamespace '${doc.documentNamespace}' is not an absolute URI without '#'`);
        const ci = doc.creationInfo || {};
        need(ci, 'creationInfo', ['created', 'creators']);
        only(ci, 'creationInfo', ['comment', 'created', 'creators', 'licenseListVersion']);
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(ci.created || ''))
                errs.push(`creationInfo.created '${ci.created}' is not YYYY-MM-DDThh:mm:ssZ`);
        if (!Array.isArray(ci.creators) || ci.creators.length < 1 ||
            !ci.creators.every((c) => /^(Tool|Organization|Person): \S/.test(c)))
                errs.push('creationInfo.creators must be a non-empty list of "Tool: …" / "Organization: …" / "Person: …"');

        const refs = new Set();
        const extracted = doc.hasExtractedLicensingInfos || [];
        extracted.forEach((e, i) => {
                const at = `hasExtractedLicensingInfos[${i}]`;
                need(e, at, ['licenseId', 'extractedText']);
                only(e, at, ['comment', 'crossRefs', 'extractedText', 'licenseId', 'name', 'seeAlsos']);
                if (!/^LicenseRef-[A-Za-z0-9.-]+$/.test(e.licenseId || ''))
                        errs.push(`${at}: licenseId '${e.licenseId}' is not LicenseRef-[idstring]`);
                if (refs.has(e.licenseId))
                        errs.push(`${at}: licenseId '${e.licenseId}' defined twice`);
                refs.add(e.licenseId);
        });

        const ids = new Set(['SPDXRef-DOCUMENT']);
        const licenseField = (v, at) => {
                if (v === undefined || v === 'NOASSERTION' || v === 'NONE')
                        return;
                const e = checkExpression(v, refs);
                if (e)
                        errs.push(`${at}: ${e}`);
        };
        const purposes = ['APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'OPERATING-SYSTEM', 'DEVICE',
                          'FIRMWARE', 'SOURCE', 'ARCHIVE', 'FILE', 'INSTALL', 'OTHER'];
        (doc.packages || []).forEach((p, i) => {
                const at = `packages[${i}]`;
                need(p, at, ['SPDXID', 'name', 'downloadLocation']);
                only(p, at, ['SPDXID', 'annotations', 'attributionTexts', 'builtDate', 'checksums', 'comment',
                             'copyrightText', 'description', 'downloadLocation', 'externalRefs', 'filesAnalyzed',
                             'hasFiles', 'homepage', 'licenseComments', 'licenseConcluded', 'licenseDeclared',
                             'licenseInfoFromFiles', 'name', 'originator', 'packageFileName',
                             'packageVerificationCode', 'primaryPackagePurpose', 'releaseDate', 'sourceInfo',
                             'summary', 'supplier', 'validUntilDate', 'versionInfo']);
                if (!idRe.test(p.SPDXID || ''))
                        errs.push(`${at}: SPDXID '${p.SPDXID}' is not SPDXRef-[A-Za-z0-9.-]+`);
                if (ids.has(p.SPDXID))
                        errs.push(`${at}: SPDXID '${p.SPDXID}' is not unique`);
                ids.add(p.SPDXID);
                if (!isStr(p.name) || !p.name)
                        errs.push(`${at}: empty name`);
                for (const k of ['versionInfo', 'downloadLocation', 'sourceInfo', 'comment', 'supplier', 'originator'])
                        if (p[k] !== undefined && !isStr(p[k]))
                                errs.push(`${at}: ${k} is not a string`);
                if (p.filesAnalyzed !== undefined && typeof p.filesAnalyzed !== 'boolean')
                        errs.push(`${at}: filesAnalyzed is not a boolean`);
                if (p.primaryPackagePurpose !== undefined && !purposes.includes(p.primaryPackagePurpose))
                        errs.push(`${at}: primaryPackagePurpose '${p.primaryPackagePurpose}' is not allowed`);
                if (p.supplier !== undefined && !/^(NOASSERTION|(Person|Organization): .+)$/.test(p.supplier))
                        errs.push(`${at}: supplier '${p.supplier}' is malformed`);
                licenseField(p.licenseConcluded, `${at}.licenseConcluded`);
                licenseField(p.licenseDeclared, `${at}.licenseDeclared`);
                (p.externalRefs || []).forEach((r, j) => {
                        const rat = `${at}.externalRefs[${j}]`;
                        need(r, rat, ['referenceCategory', 'referenceType', 'referenceLocator']);
                        only(r, rat, ['comment', 'referenceCategory', 'referenceLocator', 'referenceType']);
                        if (!['OTHER', 'PERSISTENT-ID', 'SECURITY', 'PACKAGE-MANAGER',
                              'PERSISTENT_ID', 'PACKAGE_MANAGER'].includes(r.referenceCategory))
                                errs.push(`${rat}: referenceCategory '${r.referenceCategory}' is not allowed`);
                        if (r.referenceType === 'purl' && !/^pkg:[a-z][a-z0-9.+-]*\/\S+$/i.test(r.referenceLocator || ''))
                                errs.push(`${rat}: purl '${r.referenceLocator}' is malformed`);
                        if (/\s/.test(r.referenceLocator || ''))
                                errs.push(`${rat}: referenceLocator contains spaces`);
                });
                (p.checksums || []).forEach((c, j) => {
                        if (!/^[0-9a-f]+$/.test(c.checksumValue || ''))
                                errs.push(`${at}.checksums[${j}]: checksumValue is not lowercase hex`);
                });
        });
        for (const d of doc.documentDescribes || [])
                if (!ids.has(d))
                        errs.push(`documentDescribes '${d}' names no element`);
        const types = ['VARIANT_OF', 'COPY_OF', 'PATCH_FOR', 'TEST_DEPENDENCY_OF', 'CONTAINED_BY', 'DATA_FILE_OF',
                       'OPTIONAL_COMPONENT_OF', 'ANCESTOR_OF', 'GENERATES', 'CONTAINS', 'OPTIONAL_DEPENDENCY_OF',
                       'FILE_ADDED', 'REQUIREMENT_DESCRIPTION_FOR', 'DEV_DEPENDENCY_OF', 'DEPENDENCY_OF',
                       'BUILD_DEPENDENCY_OF', 'DESCRIBES', 'PREREQUISITE_FOR', 'HAS_PREREQUISITE',
                       'PROVIDED_DEPENDENCY_OF', 'DYNAMIC_LINK', 'DESCRIBED_BY', 'METAFILE_OF',
                       'DEPENDENCY_MANIFEST_OF', 'PATCH_APPLIED', 'RUNTIME_DEPENDENCY_OF', 'TEST_OF', 'TEST_TOOL_OF',
                       'DEPENDS_ON', 'SPECIFICATION_FOR', 'FILE_MODIFIED', 'DISTRIBUTION_ARTIFACT', 'AMENDS',
                       'DOCUMENTATION_OF', 'GENERATED_FROM', 'STATIC_LINK', 'OTHER', 'BUILD_TOOL_OF', 'TEST_CASE_OF',
                       'PACKAGE_OF', 'DESCENDANT_OF', 'FILE_DELETED', 'EXPANDED_FROM_ARCHIVE', 'DEV_TOOL_OF',
                       'EXAMPLE_OF'];
        let describes = 0;
        (doc.relationships || []).forEach((r, i) => {
                const at = `relationships[${i}]`;
                need(r, at, ['spdxElementId', 'relatedSpdxElement', 'relationshipType']);
                only(r, at, ['comment', 'relatedSpdxElement', 'relationshipType', 'spdxElementId']);
                if (!types.includes(r.relationshipType))
                        errs.push(`${at}: relationshipType '${r.relationshipType}' is not allowed`);
                for (const k of ['spdxElementId', 'relatedSpdxElement'])
                        if (!ids.has(r[k]) && !['NONE', 'NOASSERTION'].includes(r[k]))
                                errs.push(`${at}: ${k} '${r[k]}' names no element`);
                if (r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES')
                        describes++;
        });
        if (!describes && !(doc.documentDescribes || []).length)
                errs.push('the document DESCRIBES nothing');
        return errs;
}

// ---- main ----------------------------------------------------------------------------------------------

let schema, rules;
switch (kind) {
case 'cyclonedx-1.5':
        schema = cyclonedxValidator();
        rules = cyclonedxRules;
        break;
case 'sarif-2.1.0':
        schema = sarifValidator();
        rules = sarifRules;
        break;
case 'spdx-2.3':
        schema = spdxSchemaValidator();
        rules = spdxRules;
        if (!schema)
                console.log('# spdx-2.3: no official schema available (SPDX_SCHEMA unset): structural checks only');
        break;
default:
        usage(`unknown kind '${kind}'`);
}

let bad = 0;
for (const f of files) {
        let doc;
        try {
                const text = fs.readFileSync(f);
                // Strict UTF-8: a replacement character here would hide an encoding bug.
                doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
        } catch (e) {
                console.log(`FAIL ${f}: ${e.message}`);
                bad++;
                continue;
        }
        const errs = [...(schema ? schema(doc) : []), ...rules(doc)];
        if (errs.length) {
                bad++;
                console.log(`FAIL ${f} (${kind}):`);
                for (const e of errs)
                        console.log(`    ${e}`);
        } else {
                console.log(`ok   ${f} (${kind}${schema ? '' : ', structural'})`);
        }
}
process.exit(bad ? 1 : 0);
