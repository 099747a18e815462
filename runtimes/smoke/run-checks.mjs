/**
 * Runs each check in turn and resolves with a summary; rejects with the first mismatch, named
 * after its check, so every runtime's runner fails loudly the same way.
 */
export async function runChecks(...groups) {
  const names = [];
  for (const group of groups) {
    for (const [name, check] of Object.entries(group)) {
      try {
        await check();
      } catch (error) {
        throw new Error(`${name}: ${error?.stack ?? error}`);
      }
      names.push(name);
    }
  }
  return `${names.length} checks passed`;
}
