import { parseCliParams } from '../../../src/cli/parse-params';

const schema = {
  type: 'object',
  properties: {
    n: { type: 'integer' },
    on: { type: 'boolean' },
    units: { type: 'array', items: { type: 'string' } },
    ports: { type: 'array', items: { type: 'integer' } },
    s: { type: 'string' },
  },
};

test('--param values are read by the type the schema declares', () => {
  expect(parseCliParams(['n=30', 'on=true', 'units=docker,nomad', 'ports=[1,2]', 's=42'], undefined, schema)).toEqual({
    n: 30,
    on: true,
    units: ['docker', 'nomad'],
    ports: [1, 2],
    s: '42',
  });
});

test('a value that does not fit stays a string for the schema check to report', () => {
  expect(parseCliParams(['n=abc'], undefined, schema)).toEqual({ n: 'abc' });
});

test('--param wins over --params-json per key; values with = keep them', () => {
  expect(parseCliParams(['s=a=b'], '{"s":"x","n":1}', schema)).toEqual({ s: 'a=b', n: 1 });
});

test('malformed input is a usage error', () => {
  expect(() => parseCliParams(['novalue'], undefined, schema)).toThrow(/must look like key=value/);
  expect(() => parseCliParams([], '{bad', schema)).toThrow(/--params-json is not valid JSON/);
  expect(() => parseCliParams([], '[1]', schema)).toThrow(/must be a JSON object/);
});

test('__proto__ as a key does not pollute prototypes', () => {
  const p = parseCliParams(['__proto__=x', 'constructor=y'], undefined, schema);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
  expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
});

test('JSON nested deeper than 64 levels is a usage error, not a crash', () => {
  const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  expect(() => parseCliParams([], deep, undefined)).toThrow(/--params-json nests deeper than 64 levels/);
  expect(() =>
    parseCliParams([`a=${'['.repeat(1000)}${']'.repeat(1000)}`], undefined, { properties: { a: { type: 'array' } } }),
  ).toThrow(/value nests deeper/);
  expect(parseCliParams([], '{"a":[[1]]}', undefined)).toEqual({ a: [[1]] });
});
