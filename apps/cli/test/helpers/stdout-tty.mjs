// `node --import` hook: the child's stdout says it is a terminal (a pipe otherwise), as under a
// real TTY, so that terminal-only behaviour can be tested through the real bin.
Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true });
Object.defineProperty(process.stdout, "columns", { value: 120, configurable: true });
