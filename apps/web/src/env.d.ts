/** Set by vite.config.ts: the content hash of the model copied to /model/ for on-device use, null when the build has none. */
declare const __WHISKER_MODEL_REVISION__: string | null
