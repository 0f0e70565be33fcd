// Progressive enhancement: warn before leaving a page whose form holds changes that were not saved.
// A form opts in with `data-warn-unsaved`; submitting that form itself is not "leaving". Any other way off the
// page (a link, another form on the page, closing the tab) asks the browser to confirm first.
document.addEventListener("DOMContentLoaded", () => {
  const forms = Array.from(document.querySelectorAll("form[data-warn-unsaved]"));
  if (!forms.length) return;
  let dirty = false;
  let submitting = false;
  for (const form of forms) {
    // A page shown again after a refused save holds unsaved input from the start.
    if (document.querySelector(".error-summary")) dirty = true;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("change", () => { dirty = true; });
    form.addEventListener("submit", () => { submitting = true; });
  }
  window.addEventListener("beforeunload", (event) => {
    if (!dirty || submitting) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to show their confirmation
  });
});
