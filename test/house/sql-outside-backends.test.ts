/**
 * No SQL text outside storage backends (issue 13): every string or template
 * literal under src/ that reads as an SQL statement (SELECT … FROM,
 * INSERT INTO, UPDATE … SET, DELETE FROM) is in a backend (a
 * `*-repository.ts` implementing its room's `*-backend.ts`, or the
 * interface file itself) or in src/storage/ (the database, the migrator and
 * the migrations are the storage layer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/keystone-process.js';

/** Case-sensitive: our SQL is written in capitals, prose that says "select … from" is not. */
const SQL_STATEMENTS: readonly RegExp[] = [
  /\bSELECT\b[\s\S]*?\bFROM\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+\S+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
];

function isStorageBackend(path: string): boolean {
  return path.startsWith('src/storage/') || path.endsWith('-repository.ts') || path.endsWith('-backend.ts');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The text of every string and template literal of a source file (a substitution reads as `${}`). */
function literalsOf(fileName: string, text: string): { line: number; text: string }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const out: { line: number; text: string }[] = [];
  const add = (node: ts.Node, literal: string) =>
    out.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text: literal });
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) add(node, node.text);
    else if (ts.isTemplateExpression(node)) add(node, node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join(''));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function sqlStatementsIn(fileName: string, text: string): { line: number; text: string }[] {
  return literalsOf(fileName, text).filter((l) => SQL_STATEMENTS.some((re) => re.test(l.text)));
}

const files = sourceFiles(join(REPO_ROOT, 'src')).map((path) => ({
  path: relative(REPO_ROOT, path).split(sep).join('/'),
  text: readFileSync(path, 'utf8'),
}));

test('the scanner sees SQL in literals, not in prose or comments', () => {
  const sample = [
    "const a = 'SELECT id FROM project WHERE id = $1';",
    'const b = `INSERT INTO "user" (id) VALUES ($1)`;',
    'const c = `UPDATE ${table} SET value = $2`;',
    "const d = 'DELETE FROM token WHERE ' + where;",
    '// SELECT id FROM project, in a comment',
    "const e = 'Please select a project from the list';",
  ].join('\n');
  assert.deepEqual(
    sqlStatementsIn('sample.ts', sample).map((s) => s.line),
    [1, 2, 3, 4],
  );
  assert.ok(
    sqlStatementsIn('x.ts', readFileSync(join(REPO_ROOT, 'src/identity/identity-repository.ts'), 'utf8')).length > 10,
    'the identity SQL backend is found to hold SQL',
  );
});

test('no SQL text outside storage backends', () => {
  const offenders = files
    .filter((f) => !isStorageBackend(f.path))
    .flatMap((f) => sqlStatementsIn(f.path, f.text).map((s) => `${f.path}:${s.line}: ${s.text.trim().split('\n')[0]}`));
  assert.deepEqual(
    offenders,
    [],
    "SQL belongs in the room's backend (*-repository.ts implementing *-backend.ts), called through its manager",
  );
});
