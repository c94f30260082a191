// Hugging Face hub ids ('org/name' or 'name'), revisions and the URLs of their files, as
// huggingface_hub spells them: files at `${endpoint}/${id}/resolve/${revision}/${file}`, a
// repository's cache folder `models--org--name`.

export const HUB_ENDPOINT = 'https://huggingface.co';

/**
 * huggingface_hub's REPO_ID_REGEX: an optional namespace and a name, each of letters, digits,
 * '-', '_' and '.', 1 to 96 characters, starting and ending with a letter or digit ("\b").
 */
const ID = /^(?:[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?\/)?[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;

/** A 40-hex commit: huggingface_hub's REGEX_COMMIT_HASH. Such a revision never moves. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** Does the string have the shape of a hub id? (Whether a folder of that name exists is the caller's question.) */
export function isHubId(text: string): boolean {
  return ID.test(text) && !text.includes('--') && !text.includes('..');
}

/** Throws an Error naming the id and the rule it breaks. `caller` starts the message ('loadModel'). */
export function checkHubId(id: string, caller: string): void {
  if (typeof id !== 'string') throw new Error(`${caller}: a hub id must be a string, got ${typeof id}`);
  const parts = id.split('/');
  if (parts.length > 2) throw new Error(`${caller}: "${id}" is not a hub id: it has more than one "/" (ids are "org/name" or "name")`);
  if (id.includes('--') || id.includes('..')) throw new Error(`${caller}: "${id}" is not a hub id: it has "--" or ".."`);
  if (!isHubId(id)) {
    throw new Error(`${caller}: "${id}" is not a hub id: "org/name" or "name", each part 1 to 96 letters, digits, ` +
      '"-", "_" or ".", starting and ending with a letter or digit');
  }
}

/** A branch, tag or commit: path segments of no "." or ".." and no empty one, no backslash or control character. */
export function checkRevision(revision: unknown, caller: string): string {
  if (typeof revision !== 'string') throw new Error(`${caller}: option revision must be a string (a branch, tag or commit), got ${typeof revision}`);
  // It becomes a folder name in the cache (refs/<revision>): nothing that could leave it.
  if (revision === '' || revision.split('/').some((p) => p === '' || p === '.' || p === '..') || /[\\\x00-\x1f]/.test(revision)) {
    throw new Error(`${caller}: option revision ${JSON.stringify(revision)} is not a branch, tag or commit ` +
      '(no empty, "." or ".." path parts, no backslash or control characters)');
  }
  return revision;
}

/** A file's name in a repository: relative, '/'-separated, no "." or ".." parts (it becomes a cache path). */
export function checkRepoFile(file: string, caller: string): void {
  if (file === '' || file.split('/').some((p) => p === '' || p === '.' || p === '..') || /[\\\x00-\x1f]/.test(file)) {
    throw new Error(`${caller}: ${JSON.stringify(file)} is not a file name inside a repository`);
  }
}

export function checkEndpoint(endpoint: unknown, caller: string): string {
  if (typeof endpoint !== 'string' || !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new Error(`${caller}: option endpoint must be an http(s) URL such as ${HUB_ENDPOINT}, got ${JSON.stringify(endpoint)}`);
  }
  return endpoint.replace(/\/+$/, '');
}

/** huggingface_hub's hf_hub_url: the revision quoted whole ('refs/pr/1' → 'refs%2Fpr%2F1'), the file by segments. */
export function resolveUrl(endpoint: string, id: string, revision: string, file: string): string {
  return `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** huggingface_hub's repo_folder_name: 'org/name' → 'models--org--name'. */
export function repoFolderName(id: string): string {
  return ['models', ...id.split('/')].join('--');
}
