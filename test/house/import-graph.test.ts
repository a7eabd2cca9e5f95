/**
 * The shape of the house, read from the sources (src/**.ts, type imports
 * included, as TypeScript's preProcessFile lists them):
 *
 *  - no import cycle under src/;
 *  - only src/cli/ imports src/wiring/ (the one module that constructs the
 *    managers), so no room imports the one that builds it;
 *  - src/common/provider-api.ts, the registry at the bottom, imports types only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test');
    dir = parent;
  }
  return dir;
}

const ROOT = repoRoot();
const SRC = join(ROOT, 'src');
const REGISTRY = 'src/common/provider-api.ts';

/** Repository-relative, with forward slashes. */
const rel = (file: string): string => relative(ROOT, file).split(sep).join('/');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** A relative specifier as NodeNext writes it ('./x.js') → the .ts file it names, if it is one of ours. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, join(target, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** file → the files of src/ it imports (import, import type, export … from, import()). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => resolveImport(file, f.fileName)).filter((t): t is string => t !== undefined);
    graph.set(rel(file), [...new Set(targets.map(rel))]);
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    indices.set(v, index);
    lowlinks.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        lowlinks.set(v, Math.min(lowlinks.get(v)!, lowlinks.get(w)!));
      } else if (onStack.has(w)) {
        lowlinks.set(v, Math.min(lowlinks.get(v)!, indices.get(w)!));
      }
    }
    if (lowlinks.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) connect(v);
  return found;
}

/** One path around a component, starting and ending at its first file: what a reader follows to break it. */
function cyclePath(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

test('no import cycle under src/', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `only ${graph.size} files found under ${rel(SRC)}/`);
  const found = cycles(graph).map((component) => cyclePath(graph, component).join(' → '));
  assert.deepEqual(found, [], `import cycles:\n  ${found.join('\n  ')}`);
});

test('only src/cli/ imports src/wiring/ (the module that constructs the managers)', () => {
  const offenders: string[] = [];
  for (const [file, targets] of importGraph()) {
    if (file.startsWith('src/cli/') || file.startsWith('src/wiring/')) continue;
    for (const target of targets) if (target.startsWith('src/wiring/')) offenders.push(`${file} imports ${target}`);
  }
  assert.deepEqual(offenders, []);
});

test('the provider registry (src/common/provider-api.ts) imports types only', () => {
  const file = join(ROOT, REGISTRY);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const valueImports: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.phaseModifier === ts.SyntaxKind.TypeKeyword ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) valueImports.push(statement.getText(source));
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      valueImports.push(statement.getText(source));
    } else if (ts.isImportEqualsDeclaration(statement)) {
      valueImports.push(statement.getText(source));
    }
  }
  assert.ok(source.statements.some(ts.isImportDeclaration), `${REGISTRY} imports nothing: is it still the registry?`);
  assert.deepEqual(valueImports, []);
});
