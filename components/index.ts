export * from "./config";
export * from "./copy-side";
export * from "./function";
export * from "./messaging";
export * from "./names";
export * from "./providers";
export * from "./queue";
export * from "./save-side";
