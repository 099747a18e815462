import { build } from 'esbuild';

/**
 * Bundles a smoke entry of the scratch app, resolving `circuitry` from the installed tarball
 * with the given export conditions, as a user's bundler would for that platform.
 */
export async function bundle(app, entry, { format, conditions = [] }) {
  const result = await build({
    entryPoints: [`${app}/${entry}`],
    absWorkingDir: app,
    bundle: true,
    format,
    platform: 'browser',
    conditions,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
