// An export form exports what the list shows now. The list's filter swaps its results with
// htmx and pushes the filters into the address bar, so the form's query string, rendered
// with the page, may be stale: take the address bar's when it is sent.
document.addEventListener("submit", (event) => {
  const form = event.target instanceof HTMLFormElement && event.target.closest("form[data-export-base]");
  if (form) {
    form.action = form.dataset.exportBase + window.location.search;
  }
});
