import { env } from 'cloudflare:workers'
import { createApp } from './app.ts'
import { parseConfig } from './config.ts'
import { getClassifier } from './model.ts'
import { initBackend } from './tfjs.ts'

// Validate the configuration when the isolate starts: `wrangler dev` and `wrangler deploy` then fail with a
// message naming each bad variable, instead of every request failing later.
parseConfig(env)

export default createApp({ getClassifier, backend: initBackend })
