#!/usr/bin/env node
// Writes rules.schema.json (the JSON Schema editors use for rules.yaml) from CONFIG_SCHEMA.
// Run after changing the schema (src/config/config-schema.ts and the *-schema.ts files beside it):
//   npm run build && node scripts/write-rules-schema.js
// test/unit/config/rules-json-schema.test.ts fails while the committed file is out of date.
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
