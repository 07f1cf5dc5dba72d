// An export link exports what the list shows now. The list's filter swaps its results with
// htmx and pushes the filters into the address bar, so the link's query string, rendered with
// the page, may be stale: take the address bar's when it is followed.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a[data-export-base]");
  if (link) {
    link.href = link.dataset.exportBase + window.location.search;
  }
});
