"""Reports: the data each Word document shows (gathered here, in a bounded number of queries), the template in
use, drafts on demand, and issued reports frozen with their hashes (`issuing`)."""
