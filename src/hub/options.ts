// What loadModel, loadTokenizer and pipeline() take to find a model on the Hugging Face hub (or
// a server laid out as it is), and the progress they report while downloading and loading.

export interface HubOptions {
  /** A branch, tag or commit of the repository (default 'main'). */
  revision?: string;
  /**
   * The server, laid out as the hub: files at `${endpoint}/${id}/resolve/${revision}/${file}`.
   * Default https://huggingface.co; in Node the HF_ENDPOINT variable overrides it.
   */
  endpoint?: string;
  /**
   * Node: the cache folder, laid out as Python's huggingface_hub lays it out
   * (models--org--name/{blobs,refs,snapshots}), shared with it. Default: HF_HUB_CACHE, else
   * $HF_HOME/hub, else ~/.cache/huggingface/hub. Browsers use the Cache API.
   */
  cacheDir?: string;
  /** Use only files already in the cache; never touch the network. */
  localFilesOnly?: boolean;
  /** Called as files download, then as tensors load. */
  onProgress?: (event: LoadProgressEvent) => void;
  /** Aborts downloads (and the load) with the signal's reason. */
  signal?: AbortSignal;
}

/** A file downloading: bytes so far, and the total when the server says it. */
export interface DownloadProgressEvent {
  stage: 'download';
  file: string;
  loaded: number;
  total: number | undefined;
}

/** The model's tensors read into memory so far, of all of them. */
export interface TensorsProgressEvent {
  stage: 'load';
  loaded: number;
  total: number;
}

export type LoadProgressEvent = DownloadProgressEvent | TensorsProgressEvent;

export const HUB_OPTION_KEYS: readonly (keyof HubOptions)[] = ['revision', 'endpoint', 'cacheDir', 'localFilesOnly', 'onProgress', 'signal'];
