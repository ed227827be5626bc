/* Values kept in the browser's storage ('localStorage' for the customer's conversation, 'sessionStorage' for a
 * staff login and workbench view, which end with the tab). Storage can be missing or throw (private mode, a
 * full quota, a corrupt value): the page then simply forgets, it never breaks. */

function area(name) {
  return window[name];
}

/* A JSON value under key; load() is null when absent or unreadable. */
export function storedJson(areaName, key) {
  return {
    load() {
      try {
        return JSON.parse(area(areaName).getItem(key) || 'null');
      } catch (e) {
        return null;
      }
    },
    save(value) {
      try { area(areaName).setItem(key, JSON.stringify(value)); } catch (e) { /* the page works without */ }
    },
    forget() {
      try { area(areaName).removeItem(key); } catch (e) { /* ignore */ }
    }
  };
}

/* A text value under key; set(null) forgets it. */
export function storedText(areaName, key) {
  return {
    get() {
      try { return area(areaName).getItem(key); } catch (e) { return null; }
    },
    set(value) {
      try {
        if (value === null || value === undefined) area(areaName).removeItem(key);
        else area(areaName).setItem(key, String(value));
      } catch (e) { /* ignore */ }
    }
  };
}
