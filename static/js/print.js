// A "Print" button (data-action="print") prints the page. Kept out of the templates: the
// Content-Security-Policy allows scripts from our static files only, no inline handlers.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action='print']");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
