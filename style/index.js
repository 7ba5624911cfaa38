import './base.css';
import './monitoring.css';
