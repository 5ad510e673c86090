"""What people read: tables, figures, notebook headers, and the HTML/PDF rendering.

    tables.py        stage, operator, parameter and learning-rate tables
    figures.py       the network and block drawings, training curves, bars, crops
    notebook.py      a notebook's first steps: resolve its parameters, show provenance
    captions.py      table and figure captions, numbered when a report is printed
    prose.py         sentences that state settings and observations, generated from runs
    seeds.py         the seed reports' totals explained by building their networks
    contents.py      the reports: each notebook run, its parameters, its section
    publish.py       HTML and PDF primitives: nbconvert, headless Chromium, PDF metadata
    combine.py       the one report to hand in: title page, contents, sections, appendices
    render.py        ./run_all.sh's engine: papermill, then publish.py and combine.py
"""
