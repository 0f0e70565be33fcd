"""Statement of Applicability pages: the versions, a version's table with its gaps and flags, the entry form, own
controls, approval, comparing two versions and the Word and XLSX exports."""
