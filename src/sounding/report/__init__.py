"""Static HTML reports: every layer contributes pages to one offline site."""

from sounding.report.site import Page, Site, figure_html, render_fragment, write_site

__all__ = ["Page", "Site", "figure_html", "render_fragment", "write_site"]
