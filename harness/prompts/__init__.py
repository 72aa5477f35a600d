"""Prompts: the template space agents learn over, as data people can read and edit.

`components` (the components and their options, the named templates, aliases, presets),
`examples` (the bank of solved examples shown as a one-shot), `fields` (the prompt fields
computed from a task), `space` (the TemplateSpace of arms, template ids, the fingerprint,
and rendering a template for a task).
"""
