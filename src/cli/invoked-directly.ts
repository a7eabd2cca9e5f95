import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when the module at moduleUrl is the script node was started with (bin/ links resolved). */
export function invokedDirectly(moduleUrl: string): boolean {
  try {
    return !!process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === moduleUrl;
  } catch {
    return false;
  }
}
