#!/usr/bin/env node
// Writes rules.schema.json (the JSON Schema editors use for rules.yaml) from CONFIG_SCHEMA.
// Run after changing src/config/config-schema.ts:  npm run build && node scripts/write-rules-schema.js
// test/unit/rules/rules-json-schema.test.ts fails while the committed file is out of date.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

let schema;
try {
  schema = require('../dist/config/config-schema.js');
} catch (err) {
  process.stderr.write(`cannot load dist/config/config-schema.js (${err.message}); run npm run build first\n`);
  process.exit(1);
}
const target = join(__dirname, '..', 'rules.schema.json');
writeFileSync(target, schema.rulesSchemaJson());
process.stdout.write(`wrote ${target}\n`);
