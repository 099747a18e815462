// The compile errors the README quotes, checked as tsc prints them: `@ts-expect-error` in the type
// tests proves that an error occurs, not what its first line says, and a misuse's error is only
// useful when its first lines name the fix. Each snippet is compiled under standard decorators
// and under experimentalDecorators, with the project's compiler options.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRELUDE = `import { circuit, circuitSync, retry } from 'circuitry';
interface User { id: string }
declare function fetchUser(id: string): Promise<User>;
void fetchUser;
`;

const SNIPPETS = {
  wrapperTypo: 'circuit(fetchUser, { failureTreshold: 2 });',
  decoratorTypo: 'class C { @circuit({ failureTreshold: 3 }) async get(): Promise<number> { return 1; } }\nvoid C;',
  syncTypo: 'class C { @circuitSync({ failureTreshold: 3 }) get(): number { return 1; } }\nvoid C;',
  retryTypo: 'class C { @retry({ attemps: 3 }) async get(): Promise<number> { return 1; } }\nvoid C;',
  syncMethod: 'class C { @circuit sync(): number { return 1; } }\nvoid C;',
  asyncMethod: 'class C { @circuitSync async load(): Promise<number> { return 1; } }\nvoid C;',
  asyncFunction: 'circuitSync(async () => 1);',
};
type Snippet = keyof typeof SNIPPETS;

/** Each snippet's diagnostics as tsc prints them (`TS1234: message`, chained lines indented), in order. */
function compile(experimentalDecorators: boolean): Record<Snippet, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (config === undefined) throw new Error('tsconfig.json did not parse');
  const files = Object.entries(SNIPPETS).map(([name, code]) => {
    const file = join(dir, `${experimentalDecorators ? 'legacy' : 'standard'}-${name}.ts`);
    writeFileSync(file, `${PRELUDE}${code}\nexport {};\n`);
    return [name as Snippet, ts.sys.resolvePath(file)] as const;
  });
  const program = ts.createProgram({
    rootNames: files.map(([, file]) => file),
    options: { ...config.options, experimentalDecorators, noUnusedLocals: false },
  });
  const result = {} as Record<Snippet, string[]>;
  for (const [name, file] of files) {
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    result[name] = diagnostics.map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return result;
}

describe.each([
  ['standard decorators', false],
  ['experimentalDecorators', true],
])('compile errors under %s', (_mode, experimentalDecorators) => {
  const errors = compile(experimentalDecorators);
  const firstLines = (name: Snippet, count: number) => errors[name][0]?.split('\n').slice(0, count) ?? [];

  it.each(['wrapperTypo', 'decoratorTypo', 'syncTypo'] as const)('%s: TS2769 first, the misspelt option on its third line', (name) => {
    expect(errors[name]).toHaveLength(1);
    const [first, second, third] = firstLines(name, 3);
    expect(first).toBe('TS2769: No overload matches this call.');
    expect(second).toMatch(/^ {2}Overload 1 of 5, /);
    expect(third).toMatch(/^ {4}Object literal may only specify known properties, and 'failureTreshold' does not exist in type /);
  });

  it('a misspelt retry option: TS2769 first, the name and its correction on the third line', () => {
    expect(errors.retryTypo).toHaveLength(1);
    const [first, , third] = firstLines('retryTypo', 3);
    expect(first).toBe('TS2769: No overload matches this call.');
    expect(third).toContain("'attemps' does not exist in type 'RetryOptions<any[], any>'. Did you mean to write 'attempts'?");
  });

  it('@circuit on a synchronous method: the first line names @circuitSync', () => {
    expect(firstLines('syncMethod', 1)[0]).toMatch(
      /^TS1270: Decorator function return type 'DecoratorMisuse<"use @circuitSync for a method that does not return a promise", never>' is not assignable to type /,
    );
  });

  it('@circuitSync on an async method: the first line names @circuit', () => {
    expect(firstLines('asyncMethod', 1)[0]).toMatch(/^TS1270: Decorator function return type 'DecoratorMisuse<"use @circuit for a method that returns a promise", never>'/);
  });

  it('circuitSync(async () => 1): the function form names circuit', () => {
    expect(errors.asyncFunction).toHaveLength(1);
    const lines = firstLines('asyncFunction', 5);
    expect(lines[0]).toBe('TS2769: No overload matches this call.');
    expect(lines[4]).toBe(
      `    Argument of type '() => Promise<number>' is not assignable to parameter of type 'DecoratorMisuse<"use circuit for a function that returns a promise", never>'.`,
    );
  });
});
