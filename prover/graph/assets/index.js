// Lean Workbench run index: filter and sort the table in place (text only, no markup).
"use strict";
(() => {
  const body = document.querySelector("#theorems tbody");
  const rows = Array.from(body.rows);
  const filter = document.getElementById("filter");
  const shown = document.getElementById("shown");

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    let count = 0;
    for (const row of rows) {
      const match = !q || row.cells[0].textContent.toLowerCase().includes(q) || row.cells[1].textContent.toLowerCase().includes(q);
      row.hidden = !match;
      if (match) count++;
    }
    shown.textContent = `${count} of ${rows.length} shown`;
  }

  document.querySelectorAll("#theorems th[data-sort]").forEach((th, column) => {
    th.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      document.querySelectorAll("#theorems th").forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = th.dataset.sort === "num";
      const value = (row) => (numeric ? Number(row.cells[column].textContent) : row.cells[column].textContent.toLowerCase());
      rows.sort((a, b) => {
        const x = value(a);
        const y = value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      body.append(...rows);
    });
  });

  filter.addEventListener("input", applyFilter);
  applyFilter();
})();
