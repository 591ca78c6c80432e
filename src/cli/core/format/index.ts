export { render, renderTable, cellText, type PrintOptions } from './render.ts';
export {
  parseFormat,
  getPath,
  parsePath,
  FormatSyntaxError,
  type FormatSpec,
  type KeySpec,
} from './projection.ts';
