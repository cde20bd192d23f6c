import jpeg from '@cwasm/jpeg-turbo/jpeg-turbo.wasm'
import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm'
import webp from '@jsquash/webp/codec/dec/webp_dec.wasm'
import { createWasmDecoder, jpegCodecMemoryBytes } from '@whisker/preprocess/workers'

/**
 * Bytes → oriented RGB inside workerd. The codecs' `.wasm` files are imported (not fetched) so wrangler
 * bundles them as compiled WebAssembly.Modules: workerd cannot compile wasm from bytes at runtime.
 * Only the decoders are bundled; the encoders are never needed here.
 */
export const decodeImage = createWasmDecoder({ jpeg, png, webp })

/** Bytes of wasm memory the JPEG codec holds now (it only grows): for the isolate's memory budget. */
export const jpegCodecBytes = (): number => jpegCodecMemoryBytes(jpeg)
