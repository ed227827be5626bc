/* The JSON API client shared by every page: bearer token, multipart uploads, and errors turned into one
 * ApiError with the message to show (the server's Chinese detail, else a page-specific text for the status). */

export class ApiError extends Error {
  constructor(status, detail, problems) {
    super(detail);
    this.status = status;
    this.detail = detail;
    // the server puts a single problem in detail as well; do not show it twice
    this.problems = (problems || []).filter((p) => p !== detail);
  }
}

/* The message to show for an error body: the server's detail (validation errors joined, with the field
 * named), else a page-specific text for the status (statusText), else a generic one. */
export function detailText(body, status, statusText) {
  const d = body && body.detail;
  if (typeof d === 'string' && d) return d;
  if (Array.isArray(d) && d.length) {
    return d.map((x) => {
      if (x && x.msg) {
        const loc = Array.isArray(x.loc) ? x.loc.filter((p) => p !== 'body').join('.') : '';
        return (loc ? loc + '：' : '') + x.msg;
      }
      return String(x);
    }).join('；');
  }
  if (status === 0) return '网络异常，请检查网络后重试';
  if (statusText && statusText[status]) return statusText[status];
  return '请求失败（' + status + '），请稍后重试';
}

function problemsOf(body) {
  const p = body && body.problems;
  if (!Array.isArray(p)) return [];
  return p.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

/* An error as one text: the detail, then its problems as a bulleted list. */
export function errorText(err) {
  if (!err) return '操作失败，请稍后重试';
  let text = err.detail || String(err.message || err);
  if (err.problems && err.problems.length) text += '\n' + err.problems.map((p) => '• ' + p).join('\n');
  return text;
}

/* A client for the JSON API under options.base:
 *   options.token()          the bearer token to send, or null
 *   options.onUnauthorized() called on a 401 to a call that sent a token
 *   options.statusText       messages by HTTP status for errors without a detail
 * api(method, path, body, opts): body may be a FormData (multipart upload); opts.anonymous sends no token
 * (the login itself, creating a conversation). Resolves to the parsed body (null for 204), rejects with
 * an ApiError. */
export function apiClient(options) {
  function readResponse(res, sentToken) {
    if (res.status === 204) return null;
    const isJson = (res.headers.get('content-type') || '').indexOf('json') !== -1;
    const parsed = isJson ? res.json().catch(() => null) : Promise.resolve(null);
    return parsed.then((data) => {
      if (res.ok) return data;
      const err = new ApiError(res.status, detailText(data, res.status, options.statusText), problemsOf(data));
      if (res.status === 401 && sentToken && options.onUnauthorized) options.onUnauthorized();
      throw err;
    });
  }

  return function api(method, path, body, opts) {
    const headers = { 'Accept': 'application/json' };
    const isForm = typeof FormData !== 'undefined' && body instanceof FormData;
    if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
    const token = opts && opts.anonymous ? null : options.token();
    if (token) headers['Authorization'] = 'Bearer ' + token;
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) init.body = isForm ? body : JSON.stringify(body);
    return fetch(options.base + path, init).then(
      (res) => readResponse(res, !!token),
      () => { throw new ApiError(0, detailText(null, 0)); });
  };
}
