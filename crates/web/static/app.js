// Fills in the overview as each information type answers: a slow source never blanks the page.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const parts = document.querySelectorAll("[data-part]");
  let pending = parts.length;
  const done = () => {
    pending -= 1;
    if (pending === 0) {
      document.body.setAttribute("data-overview-complete", "true");
      const status = document.getElementById("laddning");
      if (status) status.textContent = "Alla informationstyper är hämtade.";
    }
  };
  parts.forEach((el) => {
    fetch(el.getAttribute("data-part"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then((r) => r.text().then((t) => ({ ok: r.ok, t })))
      .then(({ ok, t }) => {
        el.outerHTML = ok ? t : '<section class="part"><p class="notice error" role="alert">Informationen kunde inte hämtas.</p></section>';
      })
      .catch(() => {
        el.innerHTML = '<p class="notice error" role="alert">Informationen kunde inte hämtas.</p>';
      })
      .finally(done);
  });
  const period = document.getElementById("period");
  const custom = document.getElementById("egen-period");
  if (period && custom) {
    const sync = () => { custom.hidden = period.value !== "custom"; };
    period.addEventListener("change", sync);
    sync();
  }
});
