// Buttons marked data-print print the page: the Content-Security-Policy allows no inline
// event handler, so the pages that offer "Print" load this file instead.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
