// ESLint for `npm run lint`. TypeScript (src/, test/) gets typescript-eslint's strict type-checked rules
// (a superset of its recommended ones) with the types of tsconfig.json; the JavaScript scripts (bench/,
// bin/, packaging/, test/*.mjs) get ESLint's recommended rules. eslint-config-prettier comes last: layout
// is Prettier's alone.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output (tsc's dist/, packaging's out/) and what a local run leaves behind.
  { ignores: ['dist/', 'node_modules', 'packaging/out/', 'out/', 'build/', 'state/'] },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    // tsconfig.json's one program (parserOptions.project): the project service (projectService) took about 5 s
    // more CPU per run over the same files
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // The house convention for a parameter a signature needs but the body does not (express's 4-argument
      // error handler: `_next`), and for the keys a `{ secret: _s, ...rest }` destructuring leaves out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Counts, ports, status codes and durations go into log lines and error messages as they are.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Without tsconfig's noUncheckedIndexedAccess the types claim that every index and regex group exists,
      // so this rule calls the checks of an absent group (`m[3] ?? 'Z'`), a missing key or a port-less
      // `host:port` unnecessary. It comes back on with noUncheckedIndexedAccess (about 430 sites to narrow).
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read the untyped JSON bodies of the wire protocol (`await res.json()`) and assert on them;
      // typing every Keystone response body in the tests would only restate what the assertions check.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // ...and put those bodies' fields, and port numbers and status codes, into assertion messages.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowAny: true, allowNumber: true }],
      '@typescript-eslint/restrict-plus-operands': ['error', { allowAny: true }],
      // Tests hand stubs where a class instance is expected (a `{ path } as Request`).
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // A wrong `!` in a test fails that test at once, which is all a test needs.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests guard against what their declared types rule out: `after(() => server?.close())` for a
      // before() hook that failed before assigning `let server: TestServer`, `m[2] ?? ''` for a regex
      // group that did not take part (tsconfig has no noUncheckedIndexedAccess).
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', 'bin/keystone-*'],
    languageOptions: { globals: globals.node },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }] },
  },
  prettier,
);
