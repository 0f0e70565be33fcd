"""Management-review pages (blueprint `reviews`, under /management-reviews/)."""
