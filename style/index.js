import './base.css';
import './productionize.css';
import './jobs.css';
import './versions.css';
