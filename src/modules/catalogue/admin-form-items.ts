// Items for govuk-frontend radios, checkboxes and selects, built from fixed value lists
// with labels from the admin locale files and the entered value marked.
import type { T } from './admin-common.js';

export interface Option {
  value: string;
  text: string;
}

export function options(values: readonly string[], t: T, labelPrefix: string): Option[] {
  return values.map((value) => ({ value, text: t(`catalogue.admin.${labelPrefix}.${value}`) }));
}

export function radioItems(opts: Option[], selected: string | undefined) {
  return opts.map((o) => ({ ...o, checked: o.value === selected }));
}

export function checkboxItems(opts: Option[], selected: readonly string[]) {
  return opts.map((o) => ({ ...o, checked: selected.includes(o.value) }));
}

/** A select with an empty first choice (so nothing is chosen by accident). */
export function selectItems(opts: Option[], selected: string | undefined, emptyText: string) {
  return [{ value: '', text: emptyText, selected: !selected }, ...opts.map((o) => ({ ...o, selected: o.value === selected }))];
}
