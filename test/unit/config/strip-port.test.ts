import { stripPort } from '../../../src/config/strip-port';

test.each([
  ['10.0.1.23:9100', '10.0.1.23'],
  ['[::1]:9100', '::1'],
  ['[2001:db8::7]:9100', '2001:db8::7'],
  ['[::1]', '::1'],
  ['host.example.com:9100', 'host.example.com'],
  ['host.example.com', 'host.example.com'],
  ['10.0.1.23', '10.0.1.23'],
  ['::1', '::1'], // bare IPv6: no port to strip
  ['fe80::1:9100', 'fe80::1:9100'],
  ['', ''],
])('hostname(%j) = %j', (input, expected) => {
  expect(stripPort(input)).toBe(expected);
});
