#!/usr/bin/env node
// Writes rules.test.schema.json (the JSON Schema editors use for rules.test.yaml) from RULE_TESTS_SCHEMA.
// Run after changing src/app/rule-tests-schema.ts:  npm run build && node scripts/write-rule-tests-schema.js
// test/unit/cli/rules-test-file.test.ts fails while the committed file is out of date.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

let schema;
try {
  schema = require('../dist/app/rule-tests-schema.js');
} catch (err) {
  process.stderr.write(`cannot load dist/app/rule-tests-schema.js (${err.message}); run npm run build first\n`);
  process.exit(1);
}
const target = join(__dirname, '..', 'rules.test.schema.json');
writeFileSync(target, schema.ruleTestsSchemaJson());
process.stdout.write(`wrote ${target}\n`);
