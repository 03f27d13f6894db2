-- llm-pytest spec files in Neovim: yaml-language-server through nvim-lspconfig.
--
-- Needs yaml-language-server on PATH (`npm install -g yaml-language-server`) and
-- nvim-lspconfig. Put this in your config (e.g. ~/.config/nvim/after/plugin/llm-pytest.lua).
-- A `# yaml-language-server: $schema=...` modeline in a file wins over these mappings.

-- A path relative to the workspace root (the folder yaml-language-server is started in),
-- an absolute path, or an https URL.
local schema = "./schemas/llm-pytest.schema.json"

local settings = {
  yaml = {
    validate = true,
    hover = true,
    completion = true,
    schemas = {
      [schema] = { "test_*.yaml", "test_*.yml", "tests/llm/**/*.yaml", "tests/llm/**/*.yml" },
    },
  },
}

if vim.fn.has("nvim-0.11") == 1 then
  vim.lsp.config("yamlls", { settings = settings })
  vim.lsp.enable("yamlls")
else
  require("lspconfig").yamlls.setup({ settings = settings })
end
