// Reports: the store's sales, by payment and by category.
import { useEffect, useState } from 'preact/hooks';
import type { SalesReport } from '../api/client';
import { categoryName } from '../i18n';
import { Bars, kindKey } from '../widgets';
import type { TabProps } from './index';

export function ReportsTab({ t, money, locale, client, attempt }: TabProps) {
  const [r, setR] = useState<SalesReport | null>(null);
  useEffect(() => { attempt(() => client.salesReport()).then((x) => x && setR(x)); }, []);
  return (
    <div class="card" data-testid="reports">
      <h1>{t('reports.title')}</h1>
      {r && (
        <>
          <div class="tiles">
            <div class="tile"><small>{t('reports.sales')}</small><strong>{money(r.sales_total_minor)}</strong><small>{r.n_sales}</small></div>
            <div class="tile"><small>{t('reports.refunds')}</small><strong>{money(r.refunds_total_minor)}</strong><small>{r.n_refunds}</small></div>
            <div class="tile"><small>{t('reports.net')}</small><strong>{money(r.net_minor)}</strong></div>
            <div class="tile"><small>{t('reports.avg')}</small><strong>{money(r.average_sale_minor)}</strong></div>
          </div>
          <div class="row top">
            <div class="grow"><h2>{t('reports.byTender')}</h2><Bars data={r.by_tender_minor} money={money} label={(k) => t(kindKey(k))} /></div>
            <div class="grow"><h2>{t('reports.byCategory')}</h2><Bars data={r.by_category_minor} money={money} label={(k) => categoryName(locale, k)} /></div>
          </div>
        </>
      )}
    </div>
  );
}
