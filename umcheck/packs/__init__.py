"""Rule packs: ``legacy`` (the 37 Update Management troubleshooter rules, umcheck/rules) and
``successor`` (Azure Update Manager, Azure Arc and the extension-based worker,
umcheck/packs/successor). ``registry`` selects them (``--pack legacy|successor|all``)."""
