/* 导出 CSV / Excel: the report with the page's period and filters, fetched with the supervisor's token (a plain
 * link could not send it) and saved under the server's file name. */

import { errorText } from '../shared/api.js';
import { API, queryString, session, toast } from './page.js';

function fileName(res, fallback) {
  const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
  return m ? m[1] : fallback;
}

export function download(kind, params) {
  const auth = session.auth();
  if (!auth) return Promise.resolve();
  return fetch(API + '/reports/export.' + kind + queryString(params),
    { headers: { Authorization: 'Bearer ' + auth.token }, cache: 'no-store' })
    .then((res) => {
      if (!res.ok) return res.json().then((body) => { throw new Error(body.detail || '导出失败'); });
      return res.blob().then((blob) => {
        const link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = fileName(res, 'kpi.' + kind);
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        toast.show('已导出 ' + link.download, 'ok');
      });
    })
    .catch((err) => toast.show(errorText(err)));
}
