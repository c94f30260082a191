// Debian's gensim, a module of /usr/bin/python3 (apt-get install python3-gensim), for the tests
// that compare with it; they skip, saying so, where it is missing.
import { execFileSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

export const hasGensim = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import gensim'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
