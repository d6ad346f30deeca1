// Spreadsheet-safe CSV now lives in the kernel (src/kernel/csv.ts), shared by every module.
export { cell, csv } from '../../kernel/csv.js';
