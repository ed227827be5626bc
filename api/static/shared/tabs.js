/* Tabs: one view of a page open at a time. tabs({ name: [tabButton, view, panel?] }, onShow?) wires the buttons
 * and returns { show(name), stopAll() }. Opening a tab marks its button (aria-selected, .active), shows its view
 * and hides the others; a panel (an object with start() and stop()) is started when its tab opens and stopped
 * when another one does, so a hidden panel never polls. onShow(name) runs after every switch. */

export function tabs(table, onShow = () => {}) {
  const names = Object.keys(table);

  function show(name) {
    names.forEach((key) => {
      const [button, view, panel] = table[key];
      const on = key === name;
      button.setAttribute('aria-selected', on ? 'true' : 'false');
      button.classList.toggle('active', on);
      view.hidden = !on;
      if (panel && on) panel.start();
      else if (panel) panel.stop();
    });
    onShow(name);
  }

  function stopAll() {
    names.forEach((key) => { const panel = table[key][2]; if (panel) panel.stop(); });
  }

  names.forEach((name) => table[name][0].addEventListener('click', () => show(name)));
  return { show, stopAll };
}
