/** Set by vite.config.ts: whether the build carries a copy of the model at /model/ for on-device use. */
declare const __WHISKER_ON_DEVICE__: boolean
