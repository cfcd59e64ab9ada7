/**
 * Module kinds the edge bundle imports (runtime/edge/build.ts): `.wasm` files stay separate
 * modules that workerd compiles at upload (CompiledWasm), font files are inlined as bytes.
 */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "*.woff" {
  const bytes: Uint8Array;
  export default bytes;
}
