// Debian's gensim, a module of /usr/bin/python3 (apt-get install python3-gensim), for the tests
// that compare with it. They skip, saying so, where it is missing, and fail there in CI: see
// references.ts. Each test file calls gensimReference(what) at its top level.
import { pythonReference } from './references';

export { PYTHON } from './references';

/** Whether gensim is there for the tests of `what` (a failing test in their place where it is required). */
export const gensimReference = (what: string) => pythonReference('gensim', 'python3-gensim', what);
