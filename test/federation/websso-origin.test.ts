/**
 * The WebSSO origin check and callback page as Keystone 22 computes them, with Python as the oracle:
 * urllib.parse.unquote_plus, keystone.common.utils.lower_case_hostname and string.Template.substitute
 * run on the same inputs as src/federation/websso-origin.ts and sso-callback-template.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lowerCaseHostname, TrustedDashboards, unquotePlus } from '../../src/federation/websso-origin.js';
import { KEYSTONE_SSO_CALLBACK_TEMPLATE, substituteTemplate } from '../../src/federation/sso-callback-template.js';
import { Unauthorized, ValidationError } from '../../src/common/errors.js';

const ORACLE = `
import json, string, sys, urllib.parse
from keystone.common import utils
cases = json.load(sys.stdin)
out = {'unquote': [urllib.parse.unquote_plus(c) for c in cases['unquote']],
       'lower': [utils.lower_case_hostname(c) for c in cases['lower']], 'template': []}
for text, values in cases['template']:
    try:
        out['template'].append(string.Template(text).substitute(values))
    except (KeyError, ValueError):
        out['template'].append(None)
print(json.dumps(out))
`;

const cases = {
  unquote: ['https%3A%2F%2Fdash.example.com%2Fauth%2Fwebsso%2F', 'a+b%20c', '%E2%82%AC+%zz%4', '%C3%28x', 'plain/path?q=1', '%2B+%25'],
  lower: [
    'https://Dash.Example.COM/auth/websso/',
    'HTTPS://HOST:8443/Path/?Q=A#F',
    'http://h/p?',
    'http://User:Pw@H.Example/x',
    '//Host/path',
    'no-scheme/Path',
    'https://h/p;params?x#',
  ],
  template: [
    ['<form action="$host"><input value="$token"/></form>', { host: 'https://d/', token: 'gAAA' }],
    ['${host}x$$y', { host: 'h', token: 't' }],
    ['$other', { host: 'h', token: 't' }],
    ['price: $5', { host: 'h', token: 't' }],
    ['trailing $', { host: 'h', token: 't' }],
    [KEYSTONE_SSO_CALLBACK_TEMPLATE, { host: 'https://dash.example.com/auth/websso/', token: 'gAAAAABtoken' }],
  ] as Array<[string, Record<string, string>]>,
};

test('unquote_plus, lower_case_hostname and string.Template as Keystone 22 (Python) computes them', () => {
  const python = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', ORACLE], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 60_000 }),
  ) as { unquote: string[]; lower: string[]; template: Array<string | null> };
  assert.deepEqual(cases.unquote.map(unquotePlus), python.unquote);
  assert.deepEqual(cases.lower.map(lowerCaseHostname), python.lower);
  const ours = cases.template.map(([text, values]) => {
    try {
      return substituteTemplate(text, values);
    } catch {
      return null;
    }
  });
  assert.deepEqual(ours, python.template);
});

test('the origin: first value, unquoted once more, compared with the lower-cased trusted URLs', () => {
  const dashboards = new TrustedDashboards(['https://Dash.Example.com/auth/websso/'], false);
  assert.equal(dashboards.originOf('origin=https%3A%2F%2Fdash.example.com%2Fauth%2Fwebsso%2F'), 'https://dash.example.com/auth/websso/');
  assert.equal(
    dashboards.originOf('origin=https%253A%252F%252Fdash.example.com%252Fauth%252Fwebsso%252F&origin=x'),
    'https://dash.example.com/auth/websso/',
  );
  assert.throws(
    () => dashboards.originOf(''),
    (e) => e instanceof ValidationError && e.message === 'Request must have an origin query parameter',
  );
  assert.throws(() => dashboards.originOf('origin='), ValidationError);
  assert.throws(
    () => dashboards.originOf('origin=https%3A%2F%2FDash.example.com%2Fauth%2Fwebsso%2F'),
    (e) => e instanceof Unauthorized && e.message === 'The request you have made requires authentication.',
  );
});
