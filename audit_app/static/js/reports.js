// Build a Word document in the background and save it, saying what is happening in a live status line.
// Progressive enhancement: without JavaScript each link is a plain download.
(() => {
  const MESSAGES = {
    403: "you may not build this document.",
    404: "the audit or document no longer exists.",
    409: "the audit's current state does not allow it.",
  };

  function fileName(disposition) {
    if (!disposition) return null;
    const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    if (star) return decodeURIComponent(star[1]);
    const plain = /filename="?([^";]+)"?/i.exec(disposition);
    return plain ? plain[1] : null;
  }

  // The refusal page says why in its error summary (or its first paragraph); use those words when there are any.
  async function reason(response) {
    try {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const said = page.querySelector(".error-summary p") || page.querySelector("main h1 + p");
      if (said && said.textContent.trim()) return said.textContent.trim();
    } catch (_) { /* fall back to the status */ }
    return MESSAGES[response.status] || `the server answered ${response.status}. Try again, or open the link in a new tab to read the message.`;
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function build(link, status) {
    const label = link.dataset.build;
    link.setAttribute("aria-disabled", "true");
    link.classList.add("busy");
    status.textContent = `Building the ${label}…`;
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) {
        throw new Error(await reason(response));
      }
      const blob = await response.blob();
      const name = fileName(response.headers.get("Content-Disposition")) || "document.docx";
      save(blob, name);
      status.textContent = `Downloaded ${name}.`;
    } catch (error) {
      status.textContent = `The ${label} could not be built: ${error.message}`;
    } finally {
      link.removeAttribute("aria-disabled");
      link.classList.remove("busy");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const status = document.getElementById("document-status");
    if (!status || !window.fetch || !window.URL) return;
    document.querySelectorAll("a[data-build]").forEach((link) => {
      link.addEventListener("click", (event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        if (link.getAttribute("aria-disabled") === "true") return;
        build(link, status);
      });
    });
  });
})();
