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
  // Every part is for the page's patient (its handle): one for anyone else is never shown.
  const grid = document.querySelector(".grid[data-patient]");
  const patient = grid ? grid.getAttribute("data-patient") : null;
  const forThisPage = (t) => {
    const tpl = document.createElement("template");
    tpl.innerHTML = t;
    const part = tpl.content.querySelector("section[data-patient]");
    return !part || part.getAttribute("data-patient") === patient;
  };
  parts.forEach((el) => {
    fetch(el.getAttribute("data-part"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then((r) => r.text().then((t) => ({ ok: r.ok, t })))
      .then(({ ok, t }) => {
        // A refusal comes as a fragment that says why: show it as it is.
        if ((ok || t.trim().startsWith("<section")) && forThisPage(t)) {
          el.outerHTML = t;
        } else {
          const h = el.querySelector("h2");
          el.innerHTML = (h ? h.outerHTML : "") + '<p class="notice error">Informationen kunde inte hämtas.</p>';
        }
      })
      .catch(() => {
        const h = el.querySelector("h2");
        el.innerHTML = (h ? h.outerHTML : "") + '<p class="notice error">Informationen kunde inte hämtas.</p>';
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
