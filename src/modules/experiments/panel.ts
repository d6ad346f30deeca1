// The experiments panel on a catalogue service's public page: the results the team chose to
// publish (stopped or shipped experiments), each with its hypothesis, what was decided and the
// headline effect with its always-valid interval. Nothing is shown while none is published.
import type { Views } from '../../kernel/views.js';
import { translator, type Lang } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Service } from '../catalogue/schema.js';
import type { ExperimentService } from './experiments.js';
import { presentResults } from './present.js';

export function servicePanel(views: Views, _catalogue: CatalogueService, experiments: ExperimentService) {
  return async (s: Service, lang: Lang) => {
    const rows = await experiments.published(s.id);
    if (!rows.length) return null;
    const t = translator(views.messages, lang);
    const items = [];
    for (const row of rows) items.push({ row, results: presentResults(t, await experiments.results(row), row) });
    return { title: t('experiments.panel.title'), html: views.env.render('experiments/views/panel.njk', { t, items }) };
  };
}
