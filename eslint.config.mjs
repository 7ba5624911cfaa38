// ESLint flat config of the JupyterLab extension and its UI tests.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Nothing renders file names or notebook content as HTML.
const noHtmlInjection = [
  {
    selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]',
    message: 'Set textContent or render with React; never assign HTML.'
  },
  {
    selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
    message: 'Create elements and set textContent; never insert HTML.'
  },
  {
    selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
    message: 'Render text as React children; never inject HTML.'
  }
];

export default tseslint.config(
  {
    ignores: [
      '.venv/',
      '.yarn/',
      '**/node_modules/',
      'lib/',
      'server/',
      'nbtools/',
      'tests/',
      'bench/',
      'docs/',
      'examples/',
      'ui-tests/test-results/',
      'ui-tests/playwright-report/',
      'ui-tests/.yarn/'
    ]
  },
  js.configs.recommended,
  {
    files: ['extension/src/**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommendedTypeChecked, reactHooks.configs.flat.recommended],
    languageOptions: {
      globals: globals.browser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      curly: 'error',
      eqeqeq: ['error', 'smart'],
      'no-restricted-syntax': ['error', ...noHtmlInjection],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'Call the REST API through requestAPI() in api/.' },
        { name: 'XMLHttpRequest', message: 'Call the REST API through requestAPI() in api/.' }
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@jupyterlab/services',
              importNames: ['ServerConnection'],
              message:
                'Only extension/src/api/ talks HTTP: use requestAPI() or a typed function there.'
            }
          ]
        }
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-namespace': 'off',
      // Lumino signals take (method, thisArg): not an unbound call.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }]
    }
  },
  {
    // The API client is the one module allowed to make requests.
    files: ['extension/src/api/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' }
  },
  {
    // tokens.ts is a leaf: other plugins import it, it imports nothing local.
    files: ['extension/src/tokens.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./*', '../*'], message: 'tokens.ts imports nothing local.' }] }
      ]
    }
  },
  {
    files: ['ui-tests/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.node }
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } }
  },
  prettier
);
